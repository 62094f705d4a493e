// The scenario the picker has chosen, shared with the recorded-trace banner, whose "Back
// to a live cluster" starts the same choice. It lives only in this page.
import { computed, inject, ref, watch, type InjectionKey } from 'vue';
import type { LabStore } from '../lab/use-lab.ts';

export function createScenarioChoice(lab: LabStore) {
  const chosen = ref('');
  const starting = ref(false);
  /** The scenario of the cluster that runs now; none while a recorded trace is shown. */
  const running = computed(() => (lab.recorded.value ? '' : lab.snapshot.value?.run?.scenario ?? ''));

  // The first choice: what runs now (or what the trace recorded), else the first scenario.
  watch(
    [() => lab.scenarios.value, () => lab.snapshot.value?.run?.scenario ?? ''],
    ([scenarios, shown]) => {
      // Wait for the snapshot too: choosing from the list alone would name the wrong run.
      if (chosen.value !== '' || lab.snapshot.value === null) return;
      chosen.value = scenarios.some((scenario) => scenario.name === shown) ? shown : scenarios[0]?.name ?? '';
    },
    { immediate: true },
  );

  async function start(): Promise<boolean> {
    if (chosen.value === '' || starting.value) return false;
    starting.value = true;
    try {
      return await lab.startScenario(chosen.value);
    } finally {
      starting.value = false;
    }
  }

  return { chosen, starting, running, start };
}

export type ScenarioChoice = ReturnType<typeof createScenarioChoice>;
export const SCENARIO_CHOICE_KEY: InjectionKey<ScenarioChoice> = Symbol('distlab-scenario-choice');

export function useScenarioChoice(): ScenarioChoice {
  const choice = inject(SCENARIO_CHOICE_KEY);
  if (choice === undefined) throw new Error('useScenarioChoice() needs the ScenarioChoice provided by LabApp');
  return choice;
}
