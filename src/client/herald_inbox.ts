import { HeraldInboxElement } from "./inbox/inbox_element.ts";

/**
 * `<herald-inbox>` as one ES module: importing it defines the element
 * (once). Served by Herald at `/client/herald-inbox.js`; browser only.
 */
export { HeraldInboxElement };
export type { RenderItem } from "./inbox/inbox_element.ts";
export type { InboxStrings } from "./inbox/inbox_strings.ts";
export type { InboxItem } from "./inbox/inbox_item.ts";

if (!customElements.get("herald-inbox")) {
  customElements.define("herald-inbox", HeraldInboxElement);
}

declare global {
  interface HTMLElementTagNameMap {
    "herald-inbox": HeraldInboxElement;
  }
}
