// The confirmation channel: how a money call asks a person and reads the answer. One module per
// channel (channels/*.ts), each the same small interface (ask; answer; again), and one pure table
// (`pickChannel`) that says which channel a call uses. Adding a channel is one module and one row.
import type { ConfirmMode, Mode, MoneySummary } from "../domain.js";
import type { AuditEntry, ConfirmedBy } from "./audit.js";
import type { ConfirmationRecord } from "./confirmations.js";
import type { ElicitationRequest } from "./confirm.js";
import type { GuessLimiter } from "./guesses.js";
import type { Place } from "./identity.js";
import type { Refusal, SafetyPolicy } from "./policy.js";
import type { GuardResult } from "./results.js";
import type { StateStore } from "./state.js";

export type ElicitAction = "accept" | "decline" | "cancel";

export type ElicitFn = (
  req: ElicitationRequest,
  opts: { timeoutMs: number; signal: AbortSignal },
) => Promise<{ action: ElicitAction; content?: Record<string, unknown> }>;

/** Asks a 2025 client that declared URL-mode elicitation to have the person open `url`. */
export type ElicitUrlFn = (
  req: { message: string; url: string; elicitationId: string },
  opts: { timeoutMs: number; signal: AbortSignal },
) => Promise<{ action: ElicitAction }>;

/**
 * A 2026-07-28 client that declared elicitation: it is asked through an `input_required` result and
 * retries the call with its answer and our `requestState` (both as received: untrusted).
 */
export interface InputRequiredChannel {
  responses?: Record<string, unknown>;
  requestState?: string;
  /** It declared URL mode too: it can be asked to have the person open a page. */
  url?: boolean;
}

/** The client renders MCP Apps. With a handle, this call is the user's click in the approval card. */
export interface AppApproval {
  handle?: string;
  decision?: "approve" | "decline";
}

/** A money call as confirmation sees it: what is asked for, and what the client can do. */
export interface ConfirmableCall {
  tool: string;
  /** The tool's arguments as the client sent them, `confirmationToken` included when present. */
  args: Record<string, unknown>;
  summary: MoneySummary;
  signal: AbortSignal;
  /** Undefined when the client did not declare the elicitation capability. */
  elicit?: ElicitFn;
  /** Undefined unless a 2025 client declared URL-mode elicitation. */
  elicitUrl?: ElicitUrlFn;
  /** The OAuth subject calling; recorded in every audit entry, and the only one who may answer its confirmations. */
  caller?: string;
  /** Set when the client renders MCP Apps; with a handle, the user's answer in the approval card. */
  app?: AppApproval;
  /** Set for a 2026-07-28 client that declared elicitation (elicit is then undefined). */
  inputRequired?: InputRequiredChannel;
}

/** What every channel may use: the configuration, the state, the clock and this server's place. */
export interface ConfirmationEnv {
  policy: SafetyPolicy;
  mode: Mode;
  store: StateStore;
  clock: () => Date;
  place: Place;
  guesses: GuessLimiter;
  /** The approval pages, where SPACEPAY_APPROVAL=passkey (channels/passkey.ts). */
  passkey?: PasskeyDesk;
}

/** What the passkey channel needs of the process: where its pages are, and word of a decision. */
export interface PasskeyDesk {
  /** The page of approval `id` (on stdio, the loopback pages start on first use). */
  pageUrl(id: string): Promise<string>;
  /**
   * Resolves once approval `id` may have been decided (on this instance's page at once, on another
   * instance's within a poll), or at `timeoutMs` or abort: the caller reads the state again.
   */
  decided(id: string, signal: AbortSignal, timeoutMs: number): Promise<void>;
}

/** The guard's per-call view that channels read and record through. */
export interface ChannelContext {
  readonly call: ConfirmableCall;
  readonly env: ConfirmationEnv;
  /** The canonical JSON of the arguments a confirmation is bound to. */
  readonly canonical: string;
  /** The call's identity (identity.ts). */
  readonly callId: string;
  /** Set once an artefact is issued or presented, so later audit lines tie back to it. */
  tokenId: string | undefined;
  /** Set by a passkey approval: every later audit line of the call names the approvers. */
  approvers: string[] | undefined;
  /** Set by a channel that must learn the call's fate: called once sending ended, sent or not. */
  afterSend: ((sent: boolean) => Promise<void>) | undefined;
  record(entry: Omit<AuditEntry, "time" | "tool" | "args">): Promise<void>;
  refuse(refusal: Refusal, by: ConfirmedBy | null): Promise<GuardResult>;
  /** The idempotency key the confirmed call will send (the guard alone chooses it). */
  chooseKey(): Promise<string>;
}

/**
 * A channel's verdict: go ahead (with the key bound when asking, and the approved confirmation's
 * hash, if any: it is used up when the call cannot be sent), or answer now.
 */
export type Asked =
  { approved: true; by: ConfirmedBy; key?: string; hash?: string } | { approved: false; result: GuardResult };

export interface Channel {
  readonly name: ChannelName;
  /** Asks for a confirmation of a call that has none pending. */
  ask(ctx: ChannelContext): Promise<Asked>;
  /** The call carries this channel's answer (a token, a card's click, a retry's requestState). */
  answer(ctx: ChannelContext): Promise<Asked>;
  /**
   * An identical repeat finds `latest`, the newest confirmation this channel asked for the call: the
   * same pending confirmation again, or (out-of-band channels) the decision reached since; null when
   * there is nothing to hand back (expired, decided), and the call is asked afresh.
   */
  again(ctx: ChannelContext, latest: ConfirmationRecord): Promise<Asked | null>;
}

export type ChannelName = Exclude<ConfirmedBy, "off">;

/** What the client behind this request can do, as pickChannel needs it. */
export interface ClientAbilities {
  /** A 2025 client that declared elicitation. */
  canElicit: boolean;
  /** A 2026-07-28 client that declared elicitation (asked through input_required). */
  inputRequired: boolean;
  /** Declared the MCP Apps UI extension. */
  rendersApps: boolean;
}

/** What the call presents: an answer to an earlier confirmation. */
export interface Presented {
  token: boolean;
  handle: boolean;
  requestState: boolean;
}

export type Picked =
  | { use: "off" }
  /** `answer`: the call carries this channel's answer; otherwise it asks (or finds one pending). */
  | { use: ChannelName; answer: boolean }
  | { refuse: string };

/**
 * Which channel a call uses, by SPACEPAY_CONFIRM, what the client can do and what the call presents;
 * `byPasskey` when SPACEPAY_APPROVAL=passkey and the call is a withdrawal. Pure.
 */
export function pickChannel(
  confirm: ConfirmMode,
  client: ClientAbilities,
  presents: Presented,
  byPasskey = false,
): Picked {
  // Only a person's passkey on the server's page approves: nothing the client or the model presents does.
  if (byPasskey) {
    if (presents.token || presents.handle)
      return {
        refuse: `Refused: withdrawals here are approved only by an approver's passkey on the approval page (SPACEPAY_APPROVAL=passkey), never by ${presents.token ? "a confirmationToken" : "an approval card"}. Call again without it to get the approval link. Nothing was sent.`,
      };
    return { use: "passkey", answer: false };
  }
  if (confirm === "off") return { use: "off" };
  // Only auto mode issues approval cards, so only auto mode takes their answers.
  if (presents.handle) {
    return confirm === "auto"
      ? { use: "app", answer: true }
      : { refuse: `Refused: approval cards are used only with SPACEPAY_CONFIRM=auto. Nothing was sent.` };
  }
  if (presents.token) {
    return confirm === "elicitation"
      ? {
          refuse:
            "Refused: this server confirms through the client (SPACEPAY_CONFIRM=elicitation) and does not accept confirmationToken. Call again without it. Nothing was sent.",
        }
      : { use: "token", answer: true };
  }
  // Token mode keeps tokens only; the other modes count input_required as the client's confirmation.
  if (client.inputRequired && confirm !== "token")
    return { use: "input_required", answer: presents.requestState };
  if (client.canElicit && confirm !== "token") return { use: "elicitation", answer: false };
  if (confirm === "elicitation") {
    return {
      refuse:
        "Refused: SPACEPAY_CONFIRM=elicitation requires a client that supports elicitation, and this client did not declare it. Nothing was sent.",
    };
  }
  // A host that renders the approval card lets the person click; only otherwise does the model
  // round-trip a token (a forced preview, not a person's consent).
  if (confirm === "auto" && client.rendersApps) return { use: "app", answer: false };
  return { use: "token", answer: false };
}
