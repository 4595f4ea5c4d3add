// The Ansible inventory's public API (pure). Loading a whole project is src/project/load.ts.
export {
  parseInventory,
  hostVariables,
  hostConnection,
  hostSettings,
  sortGroups,
  resolveLocalPath,
  DEFAULT_STATE_DIR,
  DEFAULT_KEEP_GENERATIONS,
  type Inventory,
  type InventoryGroup,
  type InventoryHost,
  type InventorySources,
  type InventoryOptions,
  type VarsFile,
} from './inventory.js';
export { parsePlaybook, templateReferences, type Playbook, type Play, type Declaration } from './playbook.js';
export { parseExtraVars } from './extra-vars.js';
export { matchPattern, parsePattern, type PatternMatch } from './patterns.js';
export { isSelectedByTags, splitTags, type TagFilter } from './tags.js';
export { inventorySchema, playbookSchema, KNOWN_VARIABLES } from './schema.js';
export type { SourceFile } from './source.js';
