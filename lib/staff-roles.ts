// Who may act on the admin API, and as whom the ledger names them. Pure: the staff middleware, the
// route-role table and the pages all read these types.

export type StaffRole = "viewer" | "sales" | "operator";

/** The ledger's `actor`: `admin` (ADMIN_TOKEN), `staff:<staffId>`, `buyer:<buyerId>` or `system`. */
export type Actor = "admin" | "system" | `staff:${string}` | `buyer:${string}`;

/** The signed-in staff member of an admin request. */
export interface StaffIdentity {
	actor: Actor;
	/** The account's name; "ADMIN_TOKEN" for the bootstrap credential. */
	name: string;
	role: StaffRole;
}

const RANK: Record<StaffRole, number> = { viewer: 0, sales: 1, operator: 2 };

/** Whether `role` may do what `needed` may (operator ⊇ sales ⊇ viewer). */
export function roleAllows(role: StaffRole, needed: StaffRole): boolean {
	return RANK[role] >= RANK[needed];
}
