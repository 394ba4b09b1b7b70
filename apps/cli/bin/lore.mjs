#!/usr/bin/env node
// `lore`: runs the bundled CLI in apps/cli/dist, rebuilding it first when a source changed since.
import { bundleCli, bundleIsCurrent } from "../scripts/bundle.mjs";

if (!(await bundleIsCurrent())) await bundleCli();
await import("../dist/main.mjs");
