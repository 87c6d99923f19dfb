'use client';

/**
 * The escalation graph itself (loaded only on the identity page, in the browser: components/escalation-graph.tsx).
 * React Flow draws and pans/zooms it; dagre lays it out left to right (identity → steps → targets). Nodes are
 * focusable: Tab to one, Enter (or a click) selects it and the panel below names it, its severity in words, the
 * steps into and out of it with the bindings → roles that grant them, and links to the identity pages.
 */
import dagre from '@dagrejs/dagre';
import {
  Background,
  BaseEdge,
  Controls,
  EdgeLabelRenderer,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  getBezierPath,
  useNodesState,
  type Edge,
  type EdgeProps,
  type Node,
  type NodeProps,
  type OnSelectionChangeParams,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import Link from 'next/link';
import { useCallback, useMemo, useState } from 'react';
import type { PathGraphEdge, PathGraphNode, PathSeverity } from '@/lib/rbac/path-graph';
import { TARGET_TITLES } from '@/lib/rbac/path-graph';
import styles from './escalation-graph.module.css';

export interface GraphNodeData extends PathGraphNode {
  identityId?: string;
}

export interface EscalationGraphData {
  nodes: GraphNodeData[];
  edges: PathGraphEdge[];
}

type FlowNode = Node<{ node: GraphNodeData; selected: boolean }, 'step'>;
type FlowEdge = Edge<{ edge: PathGraphEdge }, 'step'>;

const NODE_WIDTH = 220;
/** What dagre reserves for a node: its kind, a label of up to three lines and its severity (measured when drawn). */
const NODE_HEIGHT = 92;

const KIND_TEXT: Record<GraphNodeData['kind'], string> = {
  start: 'this identity',
  identity: 'identity',
  power: 'power held',
  target: 'target',
};

function SeverityText({ severity }: { severity: PathSeverity }) {
  return <span className={`${styles.sev} ${severity === 'critical' ? styles.sevCritical : styles.sevHigh}`}>{severity}</span>;
}

function StepNode({ data }: NodeProps<FlowNode>) {
  const n = data.node;
  const cls = [
    styles.node,
    n.severity === 'critical' ? styles.critical : '',
    n.highlighted ? styles.highlighted : '',
    n.kind === 'start' ? styles.start : '',
    n.targets.length ? styles.target : '',
    data.selected ? styles.selected : '',
  ].join(' ');
  return (
    <div className={cls} data-testid="graph-node" data-node-id={n.id}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <span className={styles.kind}>
        {n.targets.length ? `target: ${n.targets.map((t) => TARGET_TITLES[t]).join(', ')}` : KIND_TEXT[n.kind]}
        {n.highlighted ? ' · shortest path' : ''}
      </span>
      {n.label}
      <br />
      <SeverityText severity={n.severity} />
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

function StepEdge(props: EdgeProps<FlowEdge>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, style, data } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const e = data?.edge;
  const grant = e?.grants[0];
  return (
    <>
      <BaseEdge id={props.id} path={path} markerEnd={markerEnd} style={style} />
      {e && (
        <EdgeLabelRenderer>
          <div
            className="small"
            style={{
              position: 'absolute',
              transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`,
              maxWidth: 170,
              padding: '1px 4px',
              background: 'var(--panel)',
              color: 'var(--ink)',
              border: `1px ${e.highlighted ? 'solid' : 'dashed'} var(--line)`,
              borderRadius: 4,
              fontSize: 11,
              lineHeight: 1.25,
              textAlign: 'center',
              pointerEvents: 'none',
            }}
          >
            {e.capability}
            {grant && (
              <span style={{ display: 'block', color: 'var(--muted)' }}>
                via {grant.binding}
                {e.grants.length > 1 ? ` +${e.grants.length - 1}` : ''}
              </span>
            )}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

const nodeTypes = { step: StepNode };
const edgeTypes = { step: StepEdge };

/** Left-to-right positions from dagre (edge labels get room of their own). */
function layout(graph: EscalationGraphData): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 60, edgesep: 16, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of graph.edges) g.setEdge(e.source, e.target, { width: 170, height: 34, labelpos: 'c' }, e.id);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of graph.nodes) {
    const p = g.node(n.id);
    out.set(n.id, { x: (p?.x ?? 0) - NODE_WIDTH / 2, y: (p?.y ?? 0) - NODE_HEIGHT / 2 });
  }
  return out;
}

function ariaLabelOf(n: GraphNodeData): string {
  const what = n.targets.length ? `target ${n.targets.map((t) => TARGET_TITLES[t]).join(', ')}` : KIND_TEXT[n.kind];
  return `${n.label} (${what}), ${n.severity}${n.highlighted ? ', on the shortest path' : ''}. Press Enter for details.`;
}

const identityHref = (id: string, hash = '') => `/identities/${id}${hash}`;

function StepList({ title, steps, byId }: { title: string; steps: PathGraphEdge[]; byId: Map<string, GraphNodeData> }) {
  if (!steps.length) return null;
  return (
    <>
      <p className="small">
        <strong>{title}</strong>
      </p>
      <ul className="small">
        {steps.map((e) => {
          const actor = byId.get(e.source);
          return (
            <li key={e.id}>
              <strong>{e.capability}</strong> <SeverityText severity={e.severity} /> — {e.text}
              {e.grants.length > 0 && (
                <>
                  {' '}
                  <span className="muted">granted by {e.grants.map((g) => `${g.binding} → ${g.role}`).join(', ')}</span>
                  {actor?.identityId && (
                    <>
                      {' '}
                      (<Link href={identityHref(actor.identityId, '#reach')}>bindings of {actor.label}</Link>)
                    </>
                  )}
                </>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function Details({ node, graph }: { node: GraphNodeData; graph: EscalationGraphData }) {
  const byId = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph.nodes]);
  const into = graph.edges.filter((e) => e.target === node.id);
  const out = graph.edges.filter((e) => e.source === node.id);
  return (
    <div className={styles.details} data-testid="graph-details">
      <h4>{node.label}</h4>
      <p className="small">
        {node.targets.length
          ? `Target: ${node.targets.map((t) => TARGET_TITLES[t]).join(', ')}`
          : KIND_TEXT[node.kind].replace(/^./, (c) => c.toUpperCase())}{' '}
        · severity <SeverityText severity={node.severity} />
        {node.highlighted && ' · on the shortest path to the most severe target'}
      </p>
      {node.identity && node.kind !== 'start' && (
        <p className="small">
          {node.identityId ? (
            <Link href={identityHref(node.identityId)}>Open the page of {node.label}</Link>
          ) : (
            <span className="muted">{node.label} has no page in this inventory you may see.</span>
          )}
        </p>
      )}
      <StepList title="Reached by" steps={into} byId={byId} />
      <StepList title="Leads on" steps={out} byId={byId} />
    </div>
  );
}

export default function EscalationGraphView({ graph }: { graph: EscalationGraphData }) {
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const initial = useMemo<FlowNode[]>(() => {
    const pos = layout(graph);
    return graph.nodes.map((n) => ({
      id: n.id,
      type: 'step',
      position: pos.get(n.id) ?? { x: 0, y: 0 },
      data: { node: n, selected: false },
      ariaLabel: ariaLabelOf(n),
    }));
  }, [graph]);
  const [nodes, , onNodesChange] = useNodesState<FlowNode>(initial);
  const shown = useMemo(
    () => nodes.map((n) => ({ ...n, data: { ...n.data, selected: n.id === selectedId } })),
    [nodes, selectedId],
  );
  const edges = useMemo<FlowEdge[]>(
    () =>
      graph.edges.map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        type: 'step',
        data: { edge: e },
        ariaLabel: `${e.capability}${e.grants[0] ? `, granted by ${e.grants[0].binding}` : ''}`,
        markerEnd: { type: MarkerType.ArrowClosed, color: e.highlighted ? 'var(--bad)' : 'var(--muted)' },
        style: {
          stroke: e.highlighted ? 'var(--bad)' : 'var(--muted)',
          strokeWidth: e.highlighted ? 3 : 1.5,
          strokeDasharray: e.highlighted ? undefined : '5 4',
        },
      })),
    [graph.edges],
  );
  const onSelectionChange = useCallback(({ nodes: picked }: OnSelectionChangeParams) => {
    if (picked.length) setSelectedId(picked[0]!.id);
  }, []);
  const selected = graph.nodes.find((n) => n.id === selectedId);

  return (
    <>
      <div className={styles.frame} data-testid="escalation-graph">
        <ReactFlow<FlowNode, FlowEdge>
          nodes={shown}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onNodeClick={(_, n) => setSelectedId(n.id)}
          onSelectionChange={onSelectionChange}
          nodesDraggable={false}
          nodesConnectable={false}
          edgesFocusable={false}
          nodesFocusable
          elementsSelectable
          fitView
          fitViewOptions={{ padding: 0.15 }}
          minZoom={0.2}
          maxZoom={2}
          aria-label="Escalation paths of this identity: a graph; Tab to a node and press Enter for its details"
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      <div aria-live="polite">
        {selected ? (
          <Details node={selected} graph={graph} />
        ) : (
          <p className="muted small" data-testid="graph-details-hint">
            Select a node (click it, or Tab to it and press Enter) to see its steps, the bindings that grant them and links.
          </p>
        )}
      </div>
    </>
  );
}
