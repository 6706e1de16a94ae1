// Logs in, syncs the households of the helper's village, edits one household's phone and
// syncs again; prints one JSON line with what happened.
//
//   node demo.mjs --server http://127.0.0.1:8080 --user helper --phone 13912345678 < password

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Automerge, Tablet } from "./zoufang.mjs";

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    user: { type: "string" },
    phone: { type: "string", default: "13912345678" },
  },
});
if (!values.server || !values.user) {
  console.error("usage: node demo.mjs --server URL --user NAME [--phone P] < password");
  process.exit(2);
}
const password = readFileSync(0, "utf8").trim();

try {
  const tablet = new Tablet(values.server);
  const login = await tablet.login(values.user, password);
  const first = await tablet.sync();
  const id = tablet.ids().sort()[0];
  tablet.edit(id, (d) => {
    d.household.phone = new Automerge.ImmutableString(values.phone);
  });
  const second = await tablet.sync();
  const check = await tablet.sync();
  const doc = tablet.doc(id);
  console.log(
    JSON.stringify({
      scope: login.scope,
      households: tablet.ids().length,
      first,
      second,
      check,
      edited: id,
      phone: doc.household.phone.toString(),
      heads: Automerge.getHeads(doc),
    }),
  );
} catch (error) {
  console.error(JSON.stringify({ error: { code: error.code ?? "client-error", message: error.message } }));
  process.exit(1);
}
