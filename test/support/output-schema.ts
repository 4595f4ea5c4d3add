// Checks a --json document against schemas/output.schema.json (the plan inside against plan.schema.json).
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';

const schema = (name: string) => JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8'));
const ajv = new Ajv2020.default({ allErrors: true, strict: false });
ajv.addSchema(schema('plan.schema.json'));
ajv.addSchema(schema('output.schema.json'));

export type OutputKind = 'validate' | 'apply' | 'history' | 'drift' | 'providers' | 'import' | 'status' | 'bench' | 'benchDryRun' | 'errorLine' | 'warningLine';

/** Empty when `value` is a valid document of that kind; else ajv's errors as text. */
export function outputSchemaErrors(kind: OutputKind, value: unknown): string {
  const validate = ajv.getSchema(`https://nodeform.dev/schemas/output.schema.json#/$defs/${kind}`);
  if (!validate) throw new Error(`no $defs/${kind} in schemas/output.schema.json`);
  return validate(value) ? '' : JSON.stringify(validate.errors);
}
