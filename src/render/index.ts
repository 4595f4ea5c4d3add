export {
  compileTemplate,
  renderTemplate,
  renderString,
  TEMPLATE_OPTIONS,
  type CompiledTemplate,
  type CompileOutcome,
  type RenderOutcome,
  type TemplateFailure,
} from './handlebars.js';
export { templateCandidates, templateNotFoundMessage } from './templates.js';
