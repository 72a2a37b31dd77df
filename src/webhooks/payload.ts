// Reads a verified delivery's JSON leniently: SpacePay documents the events and headers but not the
// payload's exact shape, so each field is looked for where it may be. Only names are read: the object's
// status is never taken from here (the receiver fetches the object by id and acts on SpacePay's answer).
import { cleanText } from "../text.js";

export type EventObject = "payment" | "withdrawal";

export interface WebhookEvent {
  /** The delivery's event id: X-SpacePay-Event-Id, else the body's `id`. */
  eventId: string;
  /** e.g. payment.updated; `type`, else `event`. */
  type: string;
  /** What the id names, from the type's prefix (or which id field held it); null for any other event. */
  object: EventObject | null;
  /** The payment's or withdrawal's id; null for an event about neither. */
  objectId: string | null;
}

/** Ids go into request paths and the state store: a bounded, plain alphabet. */
const ID = /^[A-Za-z0-9_.:-]{1,200}$/;

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? cleanText(v.trim()) : null);
const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The event, or why it cannot be read (each problem names the field and the rule). */
export function readEvent(
  body: unknown,
  headerEventId: string | undefined,
): WebhookEvent | { problem: string } {
  if (!body || typeof body !== "object" || Array.isArray(body))
    return { problem: "the body is not a JSON object" };
  const b = rec(body);
  const data = rec(b.data);
  const eventId = str(headerEventId) ?? str(b.id);
  if (!eventId) return { problem: "no event id (the X-SpacePay-Event-Id header, or the body's id)" };
  if (!ID.test(eventId)) return { problem: "the event id is not 1 to 200 of A-Z a-z 0-9 _ . : -" };
  const type = str(b.type) ?? str(b.event);
  if (!type) return { problem: "no event type (the body's type, or event)" };
  const paymentId = str(data.paymentId) ?? str(b.paymentId);
  const withdrawalId = str(data.withdrawalId) ?? str(b.withdrawalId);
  const prefix = type.split(".")[0]?.toLowerCase();
  const object: EventObject | null =
    prefix === "payment" || prefix === "withdrawal"
      ? prefix
      : paymentId
        ? "payment"
        : withdrawalId
          ? "withdrawal"
          : null;
  // In the documented order of preference: data.id, data.<object>Id, data.object.id, <object>Id.
  const objectId = object
    ? (str(data.id) ?? str(data[`${object}Id`]) ?? str(rec(data.object).id) ?? str(b[`${object}Id`]))
    : null;
  if (object && !objectId)
    return {
      problem: `no ${object} id (data.id, data.${object}Id, data.object.id, or ${object}Id)`,
    };
  if (objectId && !ID.test(objectId))
    return { problem: `the ${object} id is not 1 to 200 of A-Z a-z 0-9 _ . : -` };
  return { eventId, type, object, objectId };
}
