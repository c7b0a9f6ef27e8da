/** The structured logger the domain code writes to (Powertools Logger fits). Attributes: ids, counts, reason codes. */
export interface StructuredLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}
