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
  return tagSelector(filter)(resourceTags);
}

/** isSelectedByTags with the filter read once: for the thousands of resources of one build. */
export function tagSelector(filter: TagFilter): (resourceTags: readonly string[]) => boolean {
  const only = splitTags(filter.tags);
  const skip = splitTags(filter.skipTags);
  const onlyTags = only.length > 0 ? only : ['all'];
  const onlyAll = onlyTags.includes('all');
  const onlyTagged = onlyTags.includes('tagged');
  const skipAll = skip.includes('all');
  const skipAlways = skip.includes('always');
  const skipTagged = skip.includes('tagged');
  return (resourceTags) => {
    const tagged = resourceTags.length > 0;
    // A resource's tags are a handful: a list is searched, no set is made.
    const tags = tagged ? resourceTags : UNTAGGED;
    const intersects = (list: readonly string[]): boolean => list.some((tag) => tags.includes(tag));
    let run: boolean;
    if (tags.includes('always')) run = true;
    else if (onlyAll && !tags.includes('never')) run = true;
    else if (intersects(onlyTags)) run = true;
    else run = onlyTagged && tagged && !tags.includes('never');

    if (run && skip.length > 0) {
      if (skipAll) {
        if (!tags.includes('always') || skipAlways) run = false;
      } else if (intersects(skip)) run = false;
      else if (skipTagged && tagged) run = false;
    }
    return run;
  };
}

const UNTAGGED: readonly string[] = ['untagged'];
