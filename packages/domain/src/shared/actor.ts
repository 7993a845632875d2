export const ROLES = ['USER', 'ORGANIZER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: an authenticated user with roles, or nobody. */
export interface Actor {
  userId: string;
  roles: readonly Role[];
}

export const isAdmin = (actor: Actor | null): boolean => actor?.roles.includes('ADMIN') ?? false;

export const hasRole = (actor: Actor | null, role: Role): boolean => actor !== null && (actor.roles.includes(role) || actor.roles.includes('ADMIN'));
