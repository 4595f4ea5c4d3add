// The host's digest key, as sh for the probe (facts/probe.ts) and the apply script (apply/script.ts). Pure.
//
// A secret file's plain sha256 never leaves the process (a short password is guessable offline from it). What plans
// show and save instead is its digest under a key only the host holds: sha256(KEY || sha256 hex of the content),
// KEY being STATE/key, 32 random bytes as 64 hex digits, made once (0600, the state directory 0700) by the first
// probe that needs it and never sent anywhere. Equal content gives equal digests on one host, so the apply script
// checks a saved plan's precondition for a secret on the host, as it checks a plain sha256 for other files.

/** The key's file name under the state directory. */
export const KEY_FILE = 'key';

/**
 * sh: `key` sets KEY to the host's key, making it first when missing (atomically: a link onto an existing key
 * fails); KEY is empty when it cannot be read or made, or holds anything but 64 hex digits. `keyed SHA` sets D to
 * the digest of a sha256 hex under KEY (`-` without a key).
 */
export const KEY_SH = String.raw`key() {
  if [ ! -f "$S/${KEY_FILE}" ]; then
    ( umask 077; mkdir -p "$S" && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$S/.${KEY_FILE}.$$" && ln "$S/.${KEY_FILE}.$$" "$S/${KEY_FILE}"; rm -f "$S/.${KEY_FILE}.$$" ) 2>/dev/null
  fi
  KEY=; IFS= read -r KEY 2>/dev/null < "$S/${KEY_FILE}"
  case $KEY in *[!0-9a-f]*) KEY= ;; esac
  [ ${'$'}{#KEY} -eq 64 ] || KEY=
}
keyed() {
  [ -n "$KEY" ] || key
  if [ -n "$KEY" ]; then D=$(printf '%s%s' "$KEY" "$1" | sha256sum); D=${'$'}{D%% *}; else D=-; fi
}`;
