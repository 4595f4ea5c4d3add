// --tags / --skip-tags with Ansible's rules (TaskInclude.evaluate_tags):
// - no --tags means `all`; an untagged resource counts as tagged `untagged`;
// - `always` runs whatever --tags says, unless --skip-tags names `always` (or one of its other tags);
// - `never` runs only when --tags names it or one of the resource's other tags;
// - `tagged` and `untagged` select resources with and without tags; `all` in --skip-tags skips
//   everything but `always`.

export interface TagFilter {
  tags?: readonly string[];
  skipTags?: readonly string[];
}

/** `--tags a,b --tags c` -> [a, b, c]: commas split as in Ansible. */
export function splitTags(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((tag) => tag.trim()).filter((tag) => tag !== '');
}

export function isSelectedByTags(resourceTags: readonly string[], filter: TagFilter): boolean {
  const tags = new Set(resourceTags.length > 0 ? resourceTags : ['untagged']);
  const tagged = resourceTags.length > 0;
  const only = splitTags(filter.tags);
  const skip = splitTags(filter.skipTags);
  const onlyTags = only.length > 0 ? only : ['all'];
  const intersects = (list: readonly string[]): boolean => list.some((tag) => tags.has(tag));

  let run: boolean;
  if (tags.has('always')) run = true;
  else if (onlyTags.includes('all') && !tags.has('never')) run = true;
  else if (intersects(onlyTags)) run = true;
  else run = onlyTags.includes('tagged') && tagged && !tags.has('never');

  if (run && skip.length > 0) {
    if (skip.includes('all')) {
      if (!tags.has('always') || skip.includes('always')) run = false;
    } else if (intersects(skip)) run = false;
    else if (skip.includes('tagged') && tagged) run = false;
  }
  return run;
}
