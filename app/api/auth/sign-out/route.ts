import { signOut } from '@/lib/auth/web';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Ends this browser's session (server-side: the cookie no longer opens anything) and clears the cookie. */
export const POST = route({ access: 'signed-in' }, ({ request, viewer }) => signOut(request, viewer));
