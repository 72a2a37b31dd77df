// The WebAuthn ceremonies behind the approval pages, through @simplewebauthn/server: registering an
// approver's passkey from an enrollment link, and approving a pending withdrawal with it. Challenges
// are issued by the server, used once (taken from the state store while the assertion is verified),
// and bound to the enrollment link or to the approval id and the action's digest.
import { createHash } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { hashEnrollmentId, type ApprovalStore, type PendingApproval } from "../safety/approvals.js";

/** Where the pages are served: the origin browsers see and the relying-party id (its host name). */
export interface RelyingParty {
  origin: string;
  rpId: string;
}

/** The relying party of a base URL (SPACEPAY_PUBLIC_URL, or http://localhost:<port> on stdio). */
export function relyingParty(baseUrl: string): RelyingParty {
  const url = new URL(baseUrl);
  return { origin: url.origin, rpId: url.hostname };
}

/** How long a person has between pressing a button and touching the authenticator. */
export const CEREMONY_MS = 120_000;

/** A refusal the page shows, with the HTTP status it is sent with. */
export class PasskeyRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "PasskeyRefusal";
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The challenge's purpose for an enrollment link (hashed: the link itself registers passkeys). */
const enrollPurpose = (linkId: string) => `enroll:${hashEnrollmentId(linkId)}`;

/** What an approval's challenge is bound to: its id and a digest of exactly what would be sent. */
export function approvalPurpose(approval: PendingApproval): string {
  const digest = sha256(
    JSON.stringify([
      approval.tool,
      approval.summary,
      approval.idempotencyKey,
      approval.mode,
      approval.caller,
    ]),
  );
  return `approve:${approval.id}:${digest}`;
}

/** The challenge the browser signed, read from the response's client data (the library checks it again). */
function signedChallenge(clientDataJSON: unknown): string {
  try {
    const data = JSON.parse(Buffer.from(String(clientDataJSON), "base64url").toString("utf8")) as {
      challenge?: unknown;
    };
    if (typeof data.challenge === "string") return data.challenge;
  } catch {
    // Reported below.
  }
  throw new PasskeyRefusal(400, "the response's clientDataJSON is not base64url JSON with a challenge");
}

/** Keeps the options' challenge for `purpose` (single use, for one ceremony's time) and hands them on. */
async function issued<O extends { challenge: string }>(
  store: ApprovalStore,
  options: O,
  purpose: string,
  now: Date,
): Promise<O> {
  await store.issueChallenge(options.challenge, purpose, now.getTime() + CEREMONY_MS);
  return options;
}

/** Takes the challenge a response signed, once, for `purpose`; a refusal when it cannot. */
async function taken(
  store: ApprovalStore,
  clientDataJSON: unknown,
  purpose: string,
  now: Date,
): Promise<string> {
  const challenge = signedChallenge(clientDataJSON);
  if (!(await store.takeChallenge(challenge, purpose, now)))
    throw new PasskeyRefusal(
      400,
      "the challenge is unknown, used or expired (a replayed response is refused): press the button again",
    );
  return challenge;
}

export async function registrationOptions(
  store: ApprovalStore,
  linkId: string,
  approver: string,
  rp: RelyingParty,
  now: Date,
) {
  const existing = await store.passkeysOf(approver);
  const options = await generateRegistrationOptions({
    rpName: "SpacePay MCP approvals",
    rpID: rp.rpId,
    userName: approver,
    userDisplayName: approver,
    attestationType: "none",
    timeout: CEREMONY_MS,
    // Resident key preferred (the approve page then needs no user name); verification required.
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
  });
  return issued(store, options, enrollPurpose(linkId), now);
}

/** A WebAuthn verification's result, or a refusal (400) saying `what` was not accepted, and why when it threw. */
async function accepted<T extends { verified: boolean }>(
  what: string,
  verify: () => Promise<T>,
): Promise<T & { verified: true }> {
  let result: T;
  try {
    result = await verify();
  } catch (err) {
    throw new PasskeyRefusal(400, `${what} was not accepted: ${(err as Error).message}`);
  }
  if (!result.verified) throw new PasskeyRefusal(400, `${what} was not accepted`);
  return result as T & { verified: true };
}

/** Verifies a registration and records the passkey, using the link up; the approver's name. */
export async function completeRegistration(
  store: ApprovalStore,
  linkId: string,
  response: RegistrationResponseJSON,
  rp: RelyingParty,
  now: Date,
): Promise<string> {
  const challenge = await taken(store, response?.response?.clientDataJSON, enrollPurpose(linkId), now);
  const verified = await accepted("the registration", () =>
    verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
    }),
  );
  const { credential } = verified.registrationInfo;
  const link = await store.enrollment(linkId);
  const done = await store.completeEnrollment(
    linkId,
    {
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString("base64url"),
      counter: credential.counter,
      transports: credential.transports ?? [],
    },
    now,
  );
  if (!done || !link) throw new PasskeyRefusal(410, "this enrollment link is used or expired");
  return link.approver;
}

export async function approvalOptions(
  store: ApprovalStore,
  approval: PendingApproval,
  rp: RelyingParty,
  now: Date,
) {
  // No allow-list: the authenticator offers the approver's discoverable passkey; the server then
  // checks it belongs to an enrolled approver.
  const options = await generateAuthenticationOptions({
    rpID: rp.rpId,
    userVerification: "required",
    timeout: CEREMONY_MS,
  });
  return issued(store, options, approvalPurpose(approval), now);
}

/** Verifies an assertion for `approval`; the approver's name and passkey when it counts. */
export async function verifyApproval(
  store: ApprovalStore,
  approval: PendingApproval,
  response: AuthenticationResponseJSON,
  rp: RelyingParty,
  now: Date,
): Promise<{ approver: string; credentialId: string }> {
  const challenge = await taken(store, response?.response?.clientDataJSON, approvalPurpose(approval), now);
  const passkey = typeof response.id === "string" ? await store.passkey(response.id) : undefined;
  if (!passkey) throw new PasskeyRefusal(403, "this passkey belongs to no registered approver");
  const approver = await store.approver(passkey.approver);
  if (approval.caller !== null && approver?.subject === approval.caller)
    throw new PasskeyRefusal(
      403,
      `${passkey.approver} asked for this withdrawal (OAuth subject), and the initiator cannot approve it`,
    );
  const verified = await accepted("the passkey's signature", () =>
    verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(Buffer.from(passkey.publicKey, "base64url")),
        counter: passkey.counter,
        transports: passkey.transports as never,
      },
      requireUserVerification: true,
    }),
  );
  const next = verified.authenticationInfo.newCounter;
  // Authenticators that keep no counter send 0 every time; any other must move it forward, once.
  if (
    (next !== 0 || passkey.counter !== 0) &&
    !(await store.advanceCounter(passkey.credentialId, passkey.counter, next, now))
  )
    throw new PasskeyRefusal(
      400,
      "the passkey's signature counter did not advance (a cloned or replayed key)",
    );
  return { approver: passkey.approver, credentialId: passkey.credentialId };
}
