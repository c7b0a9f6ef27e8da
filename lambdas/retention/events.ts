/** What each retention event does (events/retention-events.ts): one call into the retention operations. */
import { checkRefOf } from '../checks/check-ref';
import { CLIENT_INTERACTION, RELATIONSHIP_CLOSED, type RetentionEvent } from '../events/retention-events';
import type { RetentionDeps } from './deps';
import { requestErasure, type ErasureResult } from './erasure';
import { closeRelationship, noteInteraction, type CloseResult, type InteractionResult } from './relationship';

export type RetentionEventResult =
  | { type: typeof RELATIONSHIP_CLOSED; result: CloseResult }
  | { type: typeof CLIENT_INTERACTION; result: InteractionResult }
  | { type: 'Erasure Requested'; result: ErasureResult };

export async function handleRetentionEvent(deps: RetentionDeps, event: RetentionEvent): Promise<RetentionEventResult> {
  switch (event.type) {
    case RELATIONSHIP_CLOSED: {
      const { clientKey, closedAt, retentionYears } = event.detail;
      return { type: event.type, result: await closeRelationship(deps, { subjectKey: clientKey, closedAt, ...(retentionYears !== undefined ? { retentionYears } : {}) }) };
    }
    case CLIENT_INTERACTION:
      return { type: event.type, result: await noteInteraction(deps, { subjectKey: event.detail.clientKey, at: event.detail.at ?? event.time }) };
    default: {
      const detail = event.detail;
      const target =
        'clientKey' in detail
          ? { subjectKey: detail.clientKey }
          : { provider: detail.provider, checkRef: checkRefOf(await deps.identifierKey.get(), detail.provider, detail.checkId) };
      const result = await requestErasure({ ...deps, actor: deps.actor ?? 'Erasure Requested event' }, { target, requestId: detail.requestId, ...(detail.reason ? { reason: detail.reason } : {}) });
      return { type: event.type, result };
    }
  }
}
