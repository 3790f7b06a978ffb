/**
 * The operator console's one HTML page: navigation, a status line and the
 * place pages are drawn in by the console's script (`/console/app.js`,
 * bundled from `src/console/app/`). Nothing is loaded from elsewhere.
 */
export const SHELL_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald console</title>
<style>
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { display: flex; flex-wrap: wrap; gap: .3rem 1rem; align-items: center; padding: .6rem 1rem; background: #1d2330; color: #fff; }
  header strong { font-size: 1.05rem; }
  nav { display: flex; flex-wrap: wrap; gap: .2rem; }
  nav a { color: #dfe4ee; padding: .3rem .55rem; border-radius: 6px; text-decoration: none; }
  nav a[aria-current="page"] { background: #fff; color: #1d2330; }
  a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #f5a623; outline-offset: 1px; }
  #forget { margin-left: auto; }
  main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
  #status { min-height: 1.4rem; padding: 0 1rem; max-width: 72rem; margin: .4rem auto 0; }
  #status[data-kind="error"] { color: #b3261e; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 21rem), 1fr)); gap: 1rem; }
  .panel { background: #fff; border: 1px solid #d5d9e2; border-radius: 8px; padding: .8rem 1rem; margin: 0 0 1rem; overflow-x: auto; }
  .panel h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
  h3 { font-size: .95rem; margin: .8rem 0 .3rem; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #eceff4; vertical-align: top; }
  .meta { color: #5f6675; font-size: .85rem; }
  .error { color: #b3261e; }
  .pill { display: inline-block; border-radius: 99px; padding: 0 .5rem; background: #eceff4; font-size: .85rem; }
  .pill.ok { background: #d8f5df; } .pill.bad { background: #fbd9d5; }
  label { display: inline-block; margin: .2rem .6rem .2rem 0; }
  input, select, textarea, button { font: inherit; padding: .3rem .45rem; max-width: 100%; }
  textarea { width: 100%; min-height: 3.5rem; }
  button { cursor: pointer; margin: .3rem .4rem .3rem 0; }
  fieldset.type { border: 1px solid #e3e6ec; border-radius: 6px; margin: .5rem 0; }
  .day { margin-right: .3rem; }
  figure.chart { margin: 0; }
  figure.chart svg { width: 100%; height: 80px; background: #fafbfc; }
  .axis { stroke: #c9ced8; stroke-width: 1; }
  .tick { font-size: 9px; fill: #5f6675; }
  .timeline .tick { font-size: 12px; }
  svg.heatmap, svg.timeline { width: 100%; height: auto; display: block; }
  .grid-bg, .heatmap .grid { fill: #f0f2f5; }
  .cell { fill: #2a6fdb; } .cell.paused { fill: #8a8f99; stroke: #b3261e; stroke-width: 1; }
  .preview { border: 1px dashed #c9ced8; border-radius: 6px; padding: .5rem; background: #fafbfc; }
  progress { width: min(20rem, 100%); vertical-align: middle; }
  pre { white-space: pre-wrap; font-size: .8rem; }
</style>
</head>
<body>
<header>
  <strong>Herald</strong>
  <nav aria-label="Console pages">
    <a href="#overview">Overview</a><a href="#users">Users</a><a href="#schedules">Schedules</a><a href="#catalogue">Catalogue</a><a href="#jobs">Jobs</a><a href="/console/live">Live</a>
  </nav>
  <button id="forget" type="button">Forget key</button>
</header>
<div id="status" role="status" aria-live="polite"></div>
<main id="main"></main>
<script type="module" src="/console/app.js"></script>
</body>
</html>
`;
