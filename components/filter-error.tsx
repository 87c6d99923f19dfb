/** A list page's refusal of its query string (parseFilter's message naming the field), or nothing. */
export function FilterError({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error}
    </p>
  );
}
