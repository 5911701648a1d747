// The productpage stylesheet, served at /static/bookinfo.css. It lives in code so the bundled
// program is a single file with nothing to find on disk, and the page needs no network access.

export const STYLESHEET_PATH = '/static/bookinfo.css';

export const STYLESHEET = `:root {
  --ink: #1f2933;
  --muted: #616e7c;
  --line: #e4e7eb;
  --page: #f5f7fa;
  --card: #ffffff;
  --brand: #1d4ed8;
  --brand-dark: #1e3a8a;
  --danger: #b91c1c;
  --danger-soft: #fef2f2;
  --radius: 12px;
  --shadow: 0 1px 2px rgba(15, 23, 42, 0.06), 0 4px 16px rgba(15, 23, 42, 0.06);
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--page);
  color: var(--ink);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
a { color: var(--brand); }
a:hover { color: var(--brand-dark); }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }

.topbar { background: #0f172a; color: #e2e8f0; box-shadow: 0 2px 8px rgba(15, 23, 42, 0.25); }
.topbar-inner {
  max-width: 1080px; margin: 0 auto; padding: 0.75rem 1.25rem;
  display: flex; align-items: center; justify-content: space-between; gap: 1rem;
}
.brand { color: #fff; text-decoration: none; font-weight: 700; font-size: 1.15rem; letter-spacing: 0.01em; }
.brand:hover { color: #fff; }
.brand span { color: #93c5fd; font-weight: 500; }
.account { display: flex; align-items: center; gap: 0.75rem; font-size: 0.95rem; }
.account .user strong { color: #fff; }

.button {
  display: inline-block; cursor: pointer; border: 1px solid transparent; border-radius: 8px;
  padding: 0.4rem 0.9rem; font: inherit; font-weight: 600; line-height: 1.4;
  background: var(--brand); color: #fff; text-decoration: none;
}
.button:hover { background: var(--brand-dark); color: #fff; }
.button-ghost { background: transparent; border-color: #475569; color: #e2e8f0; }
.button-ghost:hover { background: #1e293b; }

.signin { position: relative; }
.signin > summary { list-style: none; }
.signin > summary::-webkit-details-marker { display: none; }
.signin-form {
  position: absolute; right: 0; top: calc(100% + 0.5rem); z-index: 10; width: 17rem;
  background: var(--card); color: var(--ink); border-radius: var(--radius); box-shadow: var(--shadow);
  border: 1px solid var(--line); padding: 1rem; display: grid; gap: 0.75rem;
}
.signin-form label { display: grid; gap: 0.25rem; font-size: 0.85rem; font-weight: 600; color: var(--muted); }
.signin-form input {
  font: inherit; color: var(--ink); padding: 0.45rem 0.6rem; border: 1px solid #cbd2d9; border-radius: 8px;
}
.signin-form input:focus { outline: 2px solid #93c5fd; border-color: var(--brand); }
.signin-form .hint { margin: 0; font-size: 0.8rem; color: var(--muted); }

.page { max-width: 1080px; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: var(--radius);
  box-shadow: var(--shadow); padding: 1.5rem 1.75rem;
}
.card h2 { margin: 0 0 1rem; font-size: 1.2rem; }
.hero { margin-bottom: 1.5rem; }
.hero h1 { margin: 0 0 0.5rem; font-size: 2rem; line-height: 1.2; }
.eyebrow { margin: 0 0 0.25rem; text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.75rem; font-weight: 700; color: var(--brand); }
.summary { margin: 0; color: #3e4c59; max-width: 70ch; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.4fr); gap: 1.5rem; align-items: start; }
@media (max-width: 760px) { .columns { grid-template-columns: 1fr; } }

.facts { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1.25rem; }
.facts dt { color: var(--muted); font-weight: 600; }
.facts dd { margin: 0; }

.review { border-top: 1px solid var(--line); padding: 1rem 0; }
.review:first-of-type { border-top: 0; padding-top: 0; }
.review blockquote { margin: 0 0 0.6rem; font-size: 1.05rem; font-style: italic; color: #323f4b; }
.review-footer { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
.reviewer { color: var(--muted); font-weight: 600; }
.stars { display: inline-flex; gap: 2px; }
.star { width: 20px; height: 20px; }
.text-black-500 { color: #111827; }
.text-red-500 { color: #ef4444; }
.rating-error { margin: 0; color: var(--danger); font-weight: 600; font-size: 0.9rem; }
.served-by { margin: 1rem 0 0; padding-top: 0.75rem; border-top: 1px dashed var(--line); font-size: 0.85rem; color: var(--muted); }

.error-card { border-color: #fecaca; background: var(--danger-soft); }
.error-card h2 { color: var(--danger); }
.error-card p { margin: 0; }

.index h1 { margin-top: 0; }
.links { display: flex; gap: 0.75rem; flex-wrap: wrap; margin: 1rem 0 1.5rem; }
.tree { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
.tree th, .tree td { text-align: left; padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.tree th { color: var(--muted); font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em; }

.footer { max-width: 1080px; margin: 0 auto; padding: 0 1.25rem 2rem; color: var(--muted); font-size: 0.8rem; }
`;
