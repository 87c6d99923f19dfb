/** CSR_MINT: create + approve a kube-apiserver-client CSR → a system:masters certificate → cluster-admin. */
import { addEdge, type GraphContext } from './context';
import { allows, union, type ActorQueries } from './grants';
import { CLUSTER_ADMIN } from './model';

export function csrMintEdge(ctx: GraphContext, a: ActorQueries): void {
  const createCsr = a.mayCluster('create', 'certificates.k8s.io', 'certificatesigningrequests');
  const approveCsr = union(
    a.mayCluster('update', 'certificates.k8s.io', 'certificatesigningrequests', 'approval'),
    a.mayCluster('patch', 'certificates.k8s.io', 'certificatesigningrequests', 'approval'),
  );
  const signer = a.mayCluster('approve', 'certificates.k8s.io', 'signers');
  const signerOk = allows(signer, 'kubernetes.io/kube-apiserver-client') ?? allows(signer, 'kubernetes.io/*');
  if (createCsr.any.length && approveCsr.any.length && signerOk) {
    addEdge(ctx, {
      from: a.id,
      to: CLUSTER_ADMIN,
      kind: 'CSR_MINT',
      weight: 1,
      refs: [...createCsr.any, ...approveCsr.any, ...signerOk],
      detail: {},
    });
  }
}
