/** The frame of every page: landmarks, a skip link, the navigation, the console's own stylesheet and script. */
import { html, htmlText, type Html } from '../html';

export interface PageOptions {
  title: string;
  main: Html;
  /** Which archive is read, shown in the header (the local directory, or the table and bucket). */
  target: string;
  current?: 'search' | 'verify';
}

export function page({ title, main, target, current }: PageOptions): string {
  const link = (href: string, label: string, name: PageOptions['current']) =>
    html`<a href="${href}"${current === name ? html` aria-current="page"` : ''}>${label}</a>`;
  return `<!doctype html>\n${htmlText(html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · audit-archiver console</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<p class="brand">audit-archiver console</p>
<nav aria-label="Console">${link('/', 'Search', 'search')} ${link('/verify', 'Verify', 'verify')}</nav>
<p class="target">Reading <span>${target}</span> (read only)</p>
</header>
<main id="main" tabindex="-1">
${main}
</main>
</body>
</html>`)}\n`;
}
