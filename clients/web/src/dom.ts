// A few lines of DOM building. Text always goes in through textContent, never as markup, so
// names chosen by players cannot become HTML (and the page's Trusted Types policy forbids
// markup sinks anyway).

type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  title?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  autocomplete?: string;
  disabled?: boolean;
  checked?: boolean;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  id?: string;
  href?: string;
  for?: string;
  role?: string;
  ariaLabel?: string;
  ariaLive?: "polite" | "assertive";
  dataset?: Record<string, string>;
  onclick?: (e: MouseEvent) => void;
  onsubmit?: (e: SubmitEvent) => void;
  oninput?: (e: Event) => void;
}

/** h builds an element with properties and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  const p = props;
  if (p.class) el.className = p.class;
  if (p.text !== undefined) el.textContent = p.text;
  if (p.title) el.title = p.title;
  if (p.id) el.id = p.id;
  if (p.href && el instanceof HTMLAnchorElement) el.href = p.href;
  if (p.role) el.setAttribute("role", p.role);
  if (p.ariaLabel) el.setAttribute("aria-label", p.ariaLabel);
  if (p.ariaLive) el.setAttribute("aria-live", p.ariaLive);
  if (p.dataset) Object.assign(el.dataset, p.dataset);
  if (p.onclick) el.addEventListener("click", p.onclick as EventListener);
  if (p.onsubmit) el.addEventListener("submit", p.onsubmit as EventListener);
  if (p.oninput) el.addEventListener("input", p.oninput);
  if (el instanceof HTMLInputElement || el instanceof HTMLButtonElement || el instanceof HTMLSelectElement) {
    if (p.type) el.setAttribute("type", p.type);
    if (p.name) el.name = p.name;
    if (p.value !== undefined) el.value = p.value;
    if (p.disabled) el.disabled = true;
  }
  if (el instanceof HTMLInputElement) {
    if (p.placeholder) el.placeholder = p.placeholder;
    if (p.autocomplete) el.autocomplete = p.autocomplete as AutoFill;
    if (p.checked) el.checked = true;
    if (p.required) el.required = true;
    if (p.minLength !== undefined) el.minLength = p.minLength;
    if (p.maxLength !== undefined) el.maxLength = p.maxLength;
    if (p.pattern) el.pattern = p.pattern;
  }
  if (el instanceof HTMLLabelElement && p.for) el.htmlFor = p.for;
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** replace swaps el's children for children. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, ...children);
}

/** busy disables a button while work runs, and restores it after. */
export async function busy<T>(btn: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  btn.disabled = true;
  btn.classList.add("busy");
  try {
    return await work();
  } finally {
    btn.disabled = false;
    btn.classList.remove("busy");
  }
}
