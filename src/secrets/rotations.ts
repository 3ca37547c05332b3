/** What `redis-gitops rotate --what` can renew. */
export const rotations = ['ca', 'server', 'passwords'] as const;
export type Rotation = (typeof rotations)[number];
