// SpacePayClient: every SpacePay route as one short method over the shared request pipeline
// (./http.ts). Methods convert inputs to the OpenAPI wire shapes and parse answers leniently.
import type { z } from "zod";
import { registerSecret } from "../log.js";
import { toCaip2 } from "./chains.js";
import { InvalidResponseError, MissingCredentialError, ValidationError } from "./errors.js";
import { settle } from "./failure.js";
import { HttpPipeline, encodePath, type HttpOptions, type HttpRequest } from "./http.js";
import {
  ChainPageSchema,
  ChainSchema,
  CreatedPaymentSchema,
  PaymentPageSchema,
  PaymentSchema,
  PaymentStatusSchema,
  TokenPageSchema,
  TokenSchema,
  WalletBalancesSchema,
  WithdrawalConfigSchema,
  WithdrawalPageSchema,
  WithdrawalSchema,
  quoteSchema,
} from "./schemas.js";
import type {
  ApiResult,
  Chain,
  CreatedPayment,
  CreatePaymentInput,
  CreateQuoteInput,
  CreateWithdrawalInput,
  ListPaymentsQuery,
  ListTokensQuery,
  ListWithdrawalsQuery,
  Page,
  Payment,
  PaymentStatusResult,
  Quote,
  RefreshStatusInput,
  RequestOptions,
  RequestLogEvent,
  SpacePayApi,
  Token,
  WalletBalance,
  Withdrawal,
  WithdrawalConfig,
} from "./types.js";
import type {
  WireCreatePaymentRequest,
  WireCreateQuoteRequest,
  WireCreateWithdrawalRequest,
  WireRefreshStatusRequest,
} from "./wire.js";

export interface SpacePayClientOptions extends HttpOptions {
  /** Needed (with bearerToken) for the withdrawal-config route only. */
  merchantId?: string | null;
}

const SK = "/v1/external/secretkey-auth";
const PS = "/v1/external/payment-secret-auth/payments";

export class SpacePayClient implements SpacePayApi {
  private readonly http: HttpPipeline;
  private readonly merchantId: string | null;
  private readonly hasBearer: boolean;
  /** Set on a caller's view (forCaller) only. */
  private readonly report?: (e: RequestLogEvent) => void;
  /** Set on the background view only. */
  private readonly background?: boolean;

  constructor(options: SpacePayClientOptions) {
    this.http = new HttpPipeline(options);
    this.merchantId = options.merchantId ?? null;
    this.hasBearer = Boolean(options.bearerToken);
  }

  forCaller(report: (e: RequestLogEvent) => void): SpacePayApi {
    // A view, not a copy: it shares the pipeline (the Agent and its sockets) and differs only in `report`.
    return Object.create(this, { report: { value: report } }) as SpacePayClient;
  }

  /**
   * The same client for background and watch traffic: every attempt of its calls first waits for the
   * upstream budget (HttpOptions.budget). Interactive and money calls use the client itself.
   */
  throughBudget(): SpacePayApi {
    return Object.create(this, { background: { value: true } }) as SpacePayClient;
  }

  /** Closes the undici Agent (its sockets); the client is unusable afterwards. */
  close(): Promise<void> {
    return this.http.close();
  }

  // ---- payments (merchant secret key) ----

  async createPayment(input: CreatePaymentInput, opts?: RequestOptions): Promise<ApiResult<CreatedPayment>> {
    const body: WireCreatePaymentRequest = {
      type: input.type,
      amount: input.amountInCents,
      currency: input.currency ?? "USD",
      orderId: input.orderId,
      customerRefId: input.customerRefId,
      redirectUrl: input.redirectUrl,
      customMetadata: metadata(input.customMetadata),
    };
    return this.create({ path: `${SK}/payments`, auth: "secretKey", body }, CreatedPaymentSchema, opts).then(
      (r) => {
        registerSecret(r.data.secret);
        return r;
      },
    );
  }

  async listPayments(
    query: ListPaymentsQuery = {},
    opts?: RequestOptions,
  ): Promise<ApiResult<Page<Payment>>> {
    return this.merchantGet("/payments", PaymentPageSchema, opts, { ...query });
  }

  async getPayment(paymentId: string, opts?: RequestOptions): Promise<ApiResult<Payment>> {
    return this.merchantGet(encodePath`/payments/${paymentId}`, PaymentSchema, opts);
  }

  // ---- payments (payment secret) ----

  async getPaymentBySecret(
    paymentId: string,
    secret: string,
    opts?: RequestOptions,
  ): Promise<ApiResult<Payment>> {
    return this.paymentGet(paymentId, secret, "", PaymentSchema, opts);
  }

  async getPaymentStatus(
    paymentId: string,
    secret: string,
    opts?: RequestOptions,
  ): Promise<ApiResult<PaymentStatusResult>> {
    return this.paymentGet(paymentId, secret, "/status", PaymentStatusSchema, opts);
  }

  async listQuotes(paymentId: string, secret: string, opts?: RequestOptions): Promise<ApiResult<Quote[]>> {
    return this.paymentGet(paymentId, secret, "/quotes", quoteSchema(paymentId).array(), opts);
  }

  async createQuote(
    paymentId: string,
    secret: string,
    input: CreateQuoteInput = {},
    opts?: RequestOptions,
  ): Promise<ApiResult<Quote>> {
    const body: WireCreateQuoteRequest = {
      chainId: chain(input.chainId),
      contractAddress: input.contractAddress,
      forceDepositAmount: input.forceDepositAmount,
    };
    const path = PS + encodePath`/${paymentId}/quotes`;
    return this.create(
      { path, auth: "paymentSecret", paymentSecret: secret, body },
      quoteSchema(paymentId),
      opts,
    );
  }

  /** Not a create: sent without an Idempotency-Key, so never retried (see http.ts). */
  async refreshStatus(
    paymentId: string,
    secret: string,
    input: RefreshStatusInput = {},
    opts?: RequestOptions,
  ): Promise<ApiResult<PaymentStatusResult>> {
    const body: WireRefreshStatusRequest = {
      transactionHash: input.transactionHash,
      chainId: chain(input.chainId),
      tokenContractAddress: input.tokenContractAddress,
    };
    const path = PS + encodePath`/${paymentId}/refresh-status`;
    return this.call(
      { method: "POST", path, auth: "paymentSecret", paymentSecret: secret, body },
      PaymentStatusSchema,
      opts,
    );
  }

  // ---- withdrawals and wallet (merchant secret key) ----

  async createWithdrawal(
    input: CreateWithdrawalInput,
    opts?: RequestOptions,
  ): Promise<ApiResult<Withdrawal>> {
    const body: WireCreateWithdrawalRequest = {
      amountInCents: input.amountInCents,
      chainId: chain(input.chainId)!,
      recipientAddress: input.recipientAddress,
      orderId: input.orderId,
      customMetadata: metadata(input.customMetadata),
      currency: input.currency ?? "USD",
    };
    return this.create({ path: `${SK}/withdrawals`, auth: "secretKey", body }, WithdrawalSchema, opts);
  }

  async listWithdrawals(
    query: ListWithdrawalsQuery = {},
    opts?: RequestOptions,
  ): Promise<ApiResult<Page<Withdrawal>>> {
    return this.merchantGet("/withdrawals", WithdrawalPageSchema, opts, { ...query });
  }

  async getWithdrawal(withdrawalId: string, opts?: RequestOptions): Promise<ApiResult<Withdrawal>> {
    return this.merchantGet(encodePath`/withdrawals/${withdrawalId}`, WithdrawalSchema, opts);
  }

  async getWalletBalances(opts?: RequestOptions): Promise<ApiResult<WalletBalance[]>> {
    return this.merchantGet("/wallet/balances", WalletBalancesSchema, opts);
  }

  async getWithdrawalConfig(opts?: RequestOptions): Promise<ApiResult<WithdrawalConfig>> {
    if (!this.merchantId || !this.hasBearer) {
      throw settle(
        new MissingCredentialError(
          "Reading the withdrawal config needs a dashboard bearer token and the merchant id: set SPACEPAY_BEARER_TOKEN and SPACEPAY_MERCHANT_ID.",
        ),
        [],
      );
    }
    const path = encodePath`/v1/merchants/${this.merchantId}/withdrawals/config`;
    return this.get({ path, auth: "bearer" }, WithdrawalConfigSchema, opts);
  }

  // ---- public registry (no credential) ----

  async listChains(
    query: { limit?: number; offset?: number } = {},
    opts?: RequestOptions,
  ): Promise<ApiResult<Page<Chain>>> {
    return this.get(
      { path: "/v1/external/chains", auth: "none", query: { ...query } },
      ChainPageSchema,
      opts,
    );
  }

  async getChain(chainId: string | number, opts?: RequestOptions): Promise<ApiResult<Chain>> {
    return this.get(
      { path: encodePath`/v1/external/chains/${chain(chainId)!}`, auth: "none" },
      ChainSchema,
      opts,
    );
  }

  async listTokens(query: ListTokensQuery = {}, opts?: RequestOptions): Promise<ApiResult<Page<Token>>> {
    const q = { ...query, chainId: chain(query.chainId) };
    return this.get({ path: "/v1/external/tokens", auth: "none", query: q }, TokenPageSchema, opts);
  }

  async getToken(tokenId: string, opts?: RequestOptions): Promise<ApiResult<Token>> {
    return this.get({ path: encodePath`/v1/external/tokens/${tokenId}`, auth: "none" }, TokenSchema, opts);
  }

  // ---- the three call shapes ----

  private get<T>(req: Omit<HttpRequest, "method">, schema: z.ZodType<T>, opts?: RequestOptions) {
    return this.call({ ...req, method: "GET" }, schema, opts);
  }

  /** A GET with the merchant secret key, below the secret-key routes. */
  private merchantGet<T>(
    path: string,
    schema: z.ZodType<T>,
    opts?: RequestOptions,
    query?: HttpRequest["query"],
  ) {
    return this.get({ path: SK + path, auth: "secretKey", ...(query && { query }) }, schema, opts);
  }

  /** A GET of one payment (`rest` below it) with that payment's secret. */
  private paymentGet<T>(
    paymentId: string,
    secret: string,
    rest: string,
    schema: z.ZodType<T>,
    opts?: RequestOptions,
  ) {
    const path = PS + encodePath`/${paymentId}` + rest;
    return this.get({ path, auth: "paymentSecret", paymentSecret: secret }, schema, opts);
  }

  /** Creates always carry an Idempotency-Key: the caller's, or a fresh UUID for this logical call. */
  private create<T>(req: Omit<HttpRequest, "method">, schema: z.ZodType<T>, opts?: RequestOptions) {
    const idempotencyKey = opts?.idempotencyKey ?? this.http.newIdempotencyKey();
    return this.call(
      { ...req, method: "POST", body: stripUndefined(req.body), idempotencyKey },
      schema,
      opts,
    );
  }

  private async call<T>(
    req: HttpRequest,
    schema: z.ZodType<T>,
    opts?: RequestOptions,
  ): Promise<ApiResult<T>> {
    const body = req.body === undefined ? undefined : stripUndefined(req.body);
    const res = await this.http.send({
      ...req,
      body,
      signal: opts?.signal,
      onAttempt: this.report,
      background: this.background,
    });
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
        .join("; ");
      throw new InvalidResponseError(
        `SpacePay answered ${res.status} to ${req.method} ${req.path} with an unexpected body (${issues}).`,
        { status: res.status, requestId: res.meta.requestId, code: "unexpected_response_shape" },
      );
    }
    return { data: parsed.data, meta: res.meta };
  }
}

/** customMetadata goes out as a JSON string: objects are serialised, strings sent as given. */
function metadata(value: string | Record<string, unknown> | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A chain reference as CAIP-2; a reference no one can read is the caller's mistake (ValidationError). */
function chain(ref: string | number | undefined): string | undefined {
  if (ref === undefined) return undefined;
  try {
    return toCaip2(ref);
  } catch (err) {
    // Raised before any request: nothing was sent.
    throw settle(
      new ValidationError((err as Error).message, { param: "chainId", code: "invalid_chain" }),
      [],
    );
  }
}

/** Undefined fields are left out of request bodies (JSON.stringify would too; this keeps it explicit). */
function stripUndefined(body: unknown): unknown {
  if (!body || typeof body !== "object" || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}
