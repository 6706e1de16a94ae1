// A Zoufang tablet in JavaScript. It speaks the same batch sync protocol as the Rust
// tablet (CBOR over HTTP, standard automerge change bytes), which shows that any automerge
// implementation can be a Zoufang tablet. Field names of the wire messages are those of
// mobile-schemas/src/wire.rs; the held-documents digest is sync-core/src/heads.rs.

import * as Automerge from "@automerge/automerge";
import { decode as decodeCbor, encode as encodeCbor } from "cbor2";
import { createHash, randomBytes } from "node:crypto";

const PROTOCOL_VERSION = 2;

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const bytes = (text) => new Uint8Array(Buffer.from(text, "hex"));
const canonical = (heads) => [...new Set(heads)].sort();
const sameHeads = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** Thrown for a server error; `code` is the server's stable code. */
export class ZoufangError extends Error {
  constructor(status, code, message) {
    super(`${code} (HTTP ${status}): ${message}`);
    this.status = status;
    this.code = code;
  }
}

/** The hash of one held (document, heads) pair. */
function pairHash(doc, heads) {
  const hash = createHash("sha256");
  hash.update("zoufang-held-v2");
  hash.update(bytes(doc));
  const sorted = canonical(heads);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(sorted.length);
  hash.update(count);
  for (const head of sorted) hash.update(bytes(head));
  return hash.digest();
}

/** The digest over the (document, heads) pairs a tablet holds: the XOR of their hashes. */
export function heldDigest(held) {
  const digest = new Uint8Array(32);
  for (const [doc, heads] of held) {
    const pair = pairHash(doc, heads);
    for (let i = 0; i < 32; i++) digest[i] ^= pair[i];
  }
  return digest;
}

export class Tablet {
  constructor(server) {
    this.server = server.replace(/\/$/, "");
    this.actor = hex(randomBytes(16));
    // document id (32 hex digits) -> { doc, synced: heads the server is known to have }
    this.docs = new Map();
    this.sendHeld = false;
  }

  async #post(path, body, headers = {}) {
    const response = await fetch(`${this.server}${path}`, {
      method: "POST",
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body,
    });
    if (!response.ok) {
      const text = await response.text();
      let code = `http-${response.status}`;
      let message = text;
      try {
        ({ code, message } = JSON.parse(text));
      } catch {}
      throw new ZoufangError(response.status, code, message);
    }
    return response;
  }

  async #postJson(path, value) {
    const response = await this.#post(path, JSON.stringify(value), {
      "content-type": "application/json",
    });
    return response.json();
  }

  /** Logs in and registers this tablet as a device signing with its actor. */
  async login(username, password, deviceName = "JS tablet") {
    const tokens = await this.#postJson("/api/v1/auth/login", { username, password });
    this.token = tokens.access_token;
    this.scope = tokens.scope;
    const device = await this.#postJson("/api/v1/devices", {
      name: deviceName,
      actors: [this.actor],
    });
    this.deviceId = device.id;
    return { scope: tokens.scope, role: tokens.role, device: device.id };
  }

  /** Document ids held. */
  ids() {
    return [...this.docs.keys()];
  }

  /** A held document (a plain automerge document). */
  doc(id) {
    return this.docs.get(id)?.doc;
  }

  /** Edits a held document offline: one automerge change. */
  edit(id, fn) {
    const entry = this.docs.get(id);
    entry.doc = Automerge.change(entry.doc, { time: Math.floor(Date.now() / 1000) }, fn);
  }

  #held() {
    const held = new Map();
    for (const [id, { doc }] of this.docs) held.set(id, Automerge.getHeads(doc));
    return held;
  }

  #request(held) {
    const updates = [];
    let sendHeld = this.sendHeld;
    for (const [id, { doc, synced }] of this.docs) {
      if (synced === null) {
        sendHeld = true;
      } else if (!sameHeads(synced, held.get(id))) {
        const changes = Automerge.getChangesSince(doc, synced);
        if (changes.length > 0) {
          updates.push({
            doc: bytes(id),
            heads: canonical(held.get(id)).map(bytes),
            changes: changes.map((c) => new Uint8Array(c)),
          });
        }
      }
    }
    const request = { v: PROTOCOL_VERSION, digest: heldDigest(held) };
    if (updates.length > 0) request.updates = updates;
    if (sendHeld) {
      request.held = [...held.keys()].sort().map((id) => ({
        doc: bytes(id),
        heads: canonical(held.get(id)).map(bytes),
      }));
    }
    return request;
  }

  #receive(request, held, reply, stats) {
    for (const update of request.updates ?? []) {
      this.docs.get(hex(update.doc)).synced = update.heads.map(hex);
    }
    if (request.held && reply.status === "complete") {
      for (const [id, heads] of held) {
        const entry = this.docs.get(id);
        if (entry.synced === null) entry.synced = heads;
      }
    }
    for (const refusal of reply.refused ?? []) {
      stats.refused.push({ doc: hex(refusal.doc), code: refusal.code });
      const id = hex(refusal.doc);
      if (refusal.server_copy) {
        this.docs.set(id, {
          doc: Automerge.load(refusal.server_copy.bytes, { actor: this.actor }),
          synced: refusal.server_copy.heads.map(hex),
        });
      } else if (this.docs.has(id)) {
        this.docs.get(id).synced = null;
      }
    }
    for (const resend of reply.resend ?? []) {
      this.docs.get(hex(resend.doc)).synced = resend.heads.map(hex);
    }
    for (const changes of reply.changes ?? []) {
      const entry = this.docs.get(hex(changes.doc));
      [entry.doc] = Automerge.applyChanges(entry.doc, changes.changes.map((c) => new Uint8Array(c)));
      entry.synced = changes.heads.map(hex);
      stats.docs_received += 1;
    }
    for (const whole of reply.assigned ?? []) {
      this.docs.set(hex(whole.doc), {
        doc: Automerge.load(new Uint8Array(whole.bytes), { actor: this.actor }),
        synced: whole.heads.map(hex),
      });
      stats.docs_received += 1;
    }
    for (const doc of reply.leaving ?? []) {
      const id = hex(doc);
      if (sameHeads(Automerge.getHeads(this.docs.get(id).doc), held.get(id) ?? [])) {
        this.docs.delete(id);
      }
    }
    this.sendHeld = reply.status === "need_held";
    return this.sendHeld || (reply.resend ?? []).length > 0;
  }

  /** Syncs every held document; returns what was exchanged. */
  async sync() {
    const stats = { docs_sent: 0, docs_received: 0, bytes_up: 0, bytes_down: 0, round_trips: 0, refused: [] };
    for (let round = 0; round < 4; round++) {
      const held = this.#held();
      const request = this.#request(held);
      const body = encodeCbor(request);
      const response = await this.#post("/api/v1/sync", body, {
        "content-type": "application/cbor",
        "x-zoufang-device": this.deviceId,
      });
      const replyBytes = new Uint8Array(await response.arrayBuffer());
      stats.bytes_up += body.length;
      stats.bytes_down += replyBytes.length;
      stats.round_trips += 1;
      stats.docs_sent += (request.updates ?? []).length;
      const again = this.#receive(request, held, decodeCbor(replyBytes), stats);
      if (!again) break;
    }
    return stats;
  }
}

export { Automerge };
