/** A check script or scenario failed validation. The message lists paths and rules, never the offending values. */
export class InvalidScriptError extends Error {
  override readonly name = 'InvalidScriptError';
}

/** A script asked for an id another check already has. */
export class DuplicateCheckError extends Error {
  override readonly name = 'DuplicateCheckError';
}

/** An answer uses a placeholder whose value the caller did not give (e.g. `{{checkId}}` with a generated id). */
export class AnswerPlaceholderError extends Error {
  override readonly name = 'AnswerPlaceholderError';
}

/** `anyImage` was asked for a path whose extension /images/any/ does not serve. */
export class UnknownImageExtensionError extends Error {
  override readonly name = 'UnknownImageExtensionError';
}
