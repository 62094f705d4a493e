// What the person is doing with the cluster picture right now: drafting a partition by
// clicking nodes, or picking a directed link to give faults. Shared by the topology,
// the node cards and the fault panels; it lives only in this page.
import { computed, inject, reactive, ref, type InjectionKey } from 'vue';
import type { NodeId } from '../../src-node/contract/clock.ts';

export const GROUP_NAMES = ['A', 'B', 'C', 'D'] as const;

export interface LinkChoice {
  source: NodeId;
  target: NodeId;
}

export function createClusterUi() {
  const partitionMode = ref(false);
  const groupCount = ref(2);
  /** The group a click puts a node in. */
  const brush = ref(1);
  const oneWay = ref(false);
  /** Group index per node; a node that was never clicked is in group A (0). */
  const assignment = reactive<Record<NodeId, number>>({});
  const selectedLink = ref<LinkChoice | null>(null);

  function groupOf(node: NodeId): number {
    return assignment[node] ?? 0;
  }

  return {
    partitionMode,
    groupCount,
    brush,
    oneWay,
    selectedLink,
    groupOf,
    startPartition(): void {
      for (const node of Object.keys(assignment)) delete assignment[node];
      groupCount.value = 2;
      brush.value = 1;
      oneWay.value = false;
      partitionMode.value = true;
    },
    cancelPartition(): void {
      partitionMode.value = false;
    },
    /** A click on a node in partition mode: into the brush's group, or back to A. */
    toggleNode(node: NodeId): void {
      assignment[node] = groupOf(node) === brush.value ? 0 : brush.value;
    },
    addGroup(): void {
      if (groupCount.value < GROUP_NAMES.length) {
        groupCount.value += 1;
        brush.value = groupCount.value - 1;
      }
    },
    /** The draft as the contract's groups (empty groups left out; A first, for one-way). */
    groups(nodes: readonly NodeId[]): NodeId[][] {
      const groups: NodeId[][] = GROUP_NAMES.slice(0, groupCount.value).map(() => []);
      for (const node of nodes) groups[Math.min(groupOf(node), groups.length - 1)]!.push(node);
      return groups.filter((group) => group.length > 0);
    },
    selectLink(choice: LinkChoice | null): void {
      selectedLink.value = choice;
    },
    isSelectedLink: computed(() => (source: NodeId, target: NodeId) =>
      selectedLink.value?.source === source && selectedLink.value.target === target),
  };
}

export type ClusterUi = ReturnType<typeof createClusterUi>;
export const CLUSTER_UI_KEY: InjectionKey<ClusterUi> = Symbol('distlab-cluster-ui');

export function useClusterUi(): ClusterUi {
  const ui = inject(CLUSTER_UI_KEY);
  if (ui === undefined) throw new Error('useClusterUi() needs the ClusterUi provided by LabApp');
  return ui;
}
