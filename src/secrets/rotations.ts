/**
 * Rotations with overlap. A credential a server checks and a client presents cannot change on both
 * sides at once: the members and portals restart one at a time, so for a while some run the old
 * configuration and some the new. Each rotation therefore takes three steps, each its own commit and
 * sync, and at every moment whatever a client presents is accepted by every server:
 * - start: the new credential is accepted (trusted) everywhere beside the old one;
 * - switch: the old one's users move to the new one; both are still accepted;
 * - finish: the old one is accepted nowhere.
 */

/** What rotates: the CA (with the server certificate it signs), or every password. */
export const rotationKinds = ['ca', 'passwords'] as const;
export type RotationKind = (typeof rotationKinds)[number];
/** How messages name each rotation. */
export const rotationNames: Record<RotationKind, string> = { ca: 'CA rotation', passwords: 'password rotation' };

export const rotationSteps = ['start', 'switch', 'finish'] as const;
export type RotationStep = (typeof rotationSteps)[number];

/** The steps taken in one synth, per rotation (a rotation not named does not move). */
export type RotationRequest = Partial<Record<RotationKind, RotationStep>>;

/** What `rotate --what` accepts: the rotations, and `server`, the earlier name of the CA rotation's switch step. */
export const rotateWhat = ['ca', 'passwords', 'server'] as const;
export type RotateWhat = (typeof rotateWhat)[number];

/** What each step does, for the notes synth prints and the help. */
export const stepEffects: Record<RotationKind, Record<RotationStep, string>> = {
  ca: {
    start:
      'a new CA is trusted beside the current one by the members and portals (their ca.crt) and in the published ca.crt; the servers still present the current certificate',
    switch: "the members and portals present the new CA's certificate; both CAs stay trusted",
    finish: 'the old CA is trusted nowhere any more (members, portals, published ca.crt)',
  },
  passwords: {
    start:
      "every user has a new password, accepted beside the current one; the applications' Secrets (<deployment>-user-<user>) hold the new one, applied after the members; the service's own components still log in with the current ones",
    switch: "the service's own components (replication, sentinels, probes, portals, exporters) log in with the new passwords; the old ones are still accepted",
    finish: 'the old passwords are accepted nowhere any more',
  },
};

/** What must hold before the next step, for the note after each step. */
export const beforeNextStep: Record<RotationKind, Partial<Record<RotationStep, string>>> = {
  ca: {
    start: "every application trusts the new ca.crt (the ConfigMap <deployment>-ca or dist's ca.crt holds both CAs)",
    switch: 'the members and portals have restarted on the new certificate',
  },
  passwords: {
    start: 'the members have restarted (they accept both passwords)',
    switch: 'every application uses its new password (re-read its Secret or restarted) and the members and portals have restarted',
  },
};

/** The step after `step`, if any. */
export function nextStep(step: RotationStep): RotationStep | undefined {
  return rotationSteps[rotationSteps.indexOf(step) + 1];
}

/** The command that takes a step. */
export function stepCommand(deployment: string, kind: RotationKind, step: RotationStep): string {
  return `redis-gitops rotate ${deployment} --what ${kind}${step === 'start' ? '' : ` --step ${step}`}`;
}

/** Why the finish step must wait for the switch step, per rotation. */
const finishTooEarly: Record<RotationKind, string> = {
  ca: "the servers still present the old CA's certificate: without the old CA no client or member could verify them",
  passwords:
    "the service's own components (replication, sentinels, probes, portals, exporters) still log in with the old passwords: dropping them would lock them out",
};

/**
 * Why `step` may not be taken now, `done` being the last step of the rotation under way (undefined:
 * none is); undefined when it may.
 */
export function stepRefusal(deployment: string, kind: RotationKind, step: RotationStep, done: RotationStep | undefined): string | undefined {
  if (step === 'start') return done ? `a ${rotationNames[kind]} is under way already (its ${done} step is done): finish it before starting another; next: ${stepCommand(deployment, kind, nextStep(done)!)}` : undefined;
  if (!done) return `no ${rotationNames[kind]} is under way, so there is nothing to ${step}: start one with ${stepCommand(deployment, kind, 'start')}`;
  if (step === done) return `the ${rotationNames[kind]}'s ${step} step is done already; next: ${stepCommand(deployment, kind, nextStep(done)!)}`;
  if (step === 'finish' && done === 'start') {
    return `${finishTooEarly[kind]}. Run the switch step first (${stepCommand(deployment, kind, 'switch')}), commit, let Argo CD sync, then finish`;
  }
  return undefined;
}

/** The note synth prints while a rotation is under way. */
export function underWayNote(deployment: string, kind: RotationKind, done: RotationStep): string {
  return `a ${rotationNames[kind]} is under way (its ${done} step is done); next: ${stepCommand(deployment, kind, nextStep(done)!)}`;
}
