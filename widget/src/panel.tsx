// Entry point of the chat panel, loaded inside the iframe that the loader
// creates ({server}/widget/panel). The server's HTML shell links panel.css and
// this script; we render into its #app element (or a fresh one).

import "./panel.css";
import { render } from "preact";
import { appRoot } from "./shared/store";
import { PanelController } from "./panel/controller";
import { Panel } from "./panel/ui";

function mount(): void {
  const root = appRoot();
  const ctl = new PanelController();
  render(<Panel ctl={ctl} />, root);
  ctl.start();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();
