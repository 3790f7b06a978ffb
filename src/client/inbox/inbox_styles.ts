/**
 * The element's stylesheet. Colours, sizes and fonts are CSS custom
 * properties (`--herald-*`) set on `herald-inbox` from outside; every part
 * is also reachable with `herald-inbox::part(name)`. Only logical
 * properties (inline-start/end), so right-to-left pages mirror it.
 */
export const INBOX_CSS = `
:host{--a:var(--herald-accent,#2f5bea);--bg:var(--herald-bg,#fff);--fg:var(--herald-fg,#1d2330);--mu:var(--herald-muted,#667085);--bd:var(--herald-border,#d5d9e2);--r:var(--herald-radius,10px);display:inline-block;position:relative;font:var(--herald-font,14px/1.4 system-ui,sans-serif);color:var(--fg)}
[hidden]{display:none!important}
button{font:inherit;color:inherit;cursor:pointer}
.bell{position:relative;display:inline-flex;align-items:center;justify-content:center;inline-size:var(--herald-bell-size,2.5em);block-size:var(--herald-bell-size,2.5em);border:1px solid var(--bd);border-radius:50%;background:var(--bg)}
.bell:focus-visible,.item:focus-visible,.act:focus-visible{outline:2px solid var(--a);outline-offset:2px}
.bell svg{inline-size:1.3em;block-size:1.3em}
.badge{position:absolute;inset-block-start:-.3em;inset-inline-end:-.3em;min-inline-size:1.4em;padding:0 .35em;box-sizing:border-box;border-radius:99px;background:var(--herald-badge-bg,#d33);color:var(--herald-badge-fg,#fff);font-size:.75em;line-height:1.4em;text-align:center}
.panel{position:absolute;z-index:var(--herald-z,1000);inset-block-start:calc(100% + .5em);inset-inline-end:0;inline-size:var(--herald-width,22rem);max-inline-size:calc(100vw - 1rem);background:var(--bg);border:1px solid var(--bd);border-radius:var(--r);box-shadow:0 8px 28px #0002;overflow:hidden}
.head{display:flex;align-items:center;justify-content:space-between;gap:.5em;padding:.6em .8em;border-block-end:1px solid var(--bd)}
.head h2{font-size:1em;margin:0}
.act{border:0;background:none;color:var(--a);padding:.2em .3em}
.act:disabled{color:var(--mu);cursor:default}
.note{padding:.5em .8em;color:var(--mu);font-size:.85em;border-block-end:1px solid var(--bd)}
.list{list-style:none;margin:0;padding:0;max-block-size:var(--herald-height,26rem);overflow-y:auto}
.item{display:block;inline-size:100%;text-align:start;border:0;border-block-end:1px solid var(--bd);background:none;padding:.6em .8em .6em 1em;border-inline-start:4px solid var(--sev,transparent)}
.item.unread{background:var(--herald-unread-bg,#f3f6ff)}
.item.unread .t::before{content:"";display:inline-block;inline-size:.5em;block-size:.5em;border-radius:50%;background:var(--a);margin-inline-end:.4em;vertical-align:middle}
.t{font-weight:600;display:block}.b{display:block}.m{display:block;color:var(--mu);font-size:.8em}
.sev-critical{--sev:var(--herald-critical,#c00)}.sev-high{--sev:var(--herald-high,#e80)}.sev-medium{--sev:var(--herald-medium,transparent)}.sev-low{--sev:var(--herald-low,transparent)}
.empty,.error,.more{padding:1.2em .8em;text-align:center;color:var(--mu)}
.sr{position:absolute;inline-size:1px;block-size:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
`;
