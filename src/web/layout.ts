// The page shell every dashboard page shares: navigation, who is signed in, the scripts.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export const PAGES = [
  ['fleet', 'Fleet'], ['queue', 'Queue'], ['jobs', 'Jobs'], ['tenants', 'Tenants'], ['pools', 'Rented pools'], ['serving', 'Serving'], ['reports', 'Reports'],
] as const;
export type PageName = (typeof PAGES)[number][0];

export function page(o: { title: string; page?: PageName; who?: string; body: HtmlEscapedString | Promise<HtmlEscapedString> }) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Gigafactory</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/static/uplot.css"><link rel="stylesheet" href="/ui/static/app.css">
</head><body>
<header><a class="brand" href="/">Gigafactory</a>
${o.page ? html`<nav>${PAGES.map(([p, label]) => html`<a href="/${p}" class="${p === o.page ? 'on' : ''}">${label}</a>`)}</nav>` : ''}
${o.who ? html`<span class="who">${o.who} · <a href="/logout">sign out</a></span>` : ''}
</header>
<main ${o.page ? html`data-page="${o.page}"` : ''}>${o.body}</main>
${o.page ? html`<script src="/ui/static/uplot.js"></script><script src="/ui/static/app.js"></script>` : ''}
</body></html>`;
}
