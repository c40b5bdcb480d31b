/** The public shapes of the record API, shared by http/ and cli/. */
export type RecordOut = Record<string, unknown>;

export interface ListQuery {
  readonly filter?: string;
  readonly sort?: string;
  readonly fields?: string;
  readonly page?: number; // 1-based, default 1
  readonly perPage?: number; // default 30, max 500 (config.limits)
  readonly skipTotal?: boolean;
}

export interface ListResult {
  readonly items: RecordOut[];
  readonly page: number;
  readonly perPage: number;
  /** Absent when skipTotal. */
  readonly totalItems?: number;
  readonly totalPages?: number;
}

export interface GetOptions { readonly fields?: string }
