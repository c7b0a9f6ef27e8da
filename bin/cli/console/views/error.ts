/** Pages for what went wrong: the core's message for what the auditor can fix, a request id for the rest. */
import { html, type Html } from '../html';

export function errorMain(title: string, message: string, requestId?: string): Html {
  return html`<div class="error" role="alert">
<h1>${title}</h1>
<p>${message}</p>
${requestId ? html`<p class="note">Request id <code>${requestId}</code> (in the console's audit events).</p>` : ''}
</div>
<p><a href="/">Back to search</a></p>`;
}
