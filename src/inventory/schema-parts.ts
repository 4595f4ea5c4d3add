// Schema pieces both the inventory's schema (src/inventory/schema.ts) and the node's (src/node/schema.ts)
// are made of. Plain data.

export type JsonSchema = Record<string, unknown>;

/** POSIX portable user and group names (no leading '-', at most 32 characters). */
export const POSIX_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,31}$';

export const port: JsonSchema = {
  type: 'integer',
  minimum: 1,
  maximum: 65535,
  errorMessage: 'must be an integer port from 1 to 65535',
};

// Ansible reads yes/no/on/off as booleans too; existing inventories rely on it.
export const ansibleBoolean: JsonSchema = {
  type: ['boolean', 'string'],
  pattern: '^([Yy]es|[Nn]o|[Tt]rue|[Ff]alse|[Oo]n|[Oo]ff|YES|NO|TRUE|FALSE|ON|OFF)$',
  errorMessage: 'must be true or false',
};

export const posixName: JsonSchema = {
  type: 'string',
  pattern: POSIX_NAME_PATTERN,
  errorMessage:
    "must be a POSIX user or group name: letters, digits, '_', '.', '-', starting with a letter or '_', at most 32 characters",
};

export const pathOrPaths = (description: string): JsonSchema => ({
  description,
  type: ['string', 'array'],
  minLength: 1,
  minItems: 1,
  items: { type: 'string', minLength: 1 },
  errorMessage: 'must be a path or a list of paths',
});

export interface KnownVariable {
  schema: JsonSchema;
  /** Accepted so existing Ansible inventories load, but not used: the warning to show when set (empty: none). */
  ignored?: string;
}
