// Public API of inventory loading and validation. The CLI uses load.ts; the rest is pure.
export {
  loadProject,
  validateProject,
  checkProject,
  loadInventory,
  projectRoot,
  type LoadOptions,
  type LoadedProject,
  type LoadedInventory,
  type ProjectValidation,
} from './load.js';
export { buildProject, buildInventory, type ProjectSources, type ProjectOptions, type ProjectResult, type InventoryOnlyResult } from './project.js';
export { buildDesired, selectInventoryHosts, sha256, UNIT_DIRECTORY, type BuildInput, type BuildResult, type InventoryHostEntry } from './desired.js';
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
