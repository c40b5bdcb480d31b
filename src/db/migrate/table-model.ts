import type { Storage } from './column-types.ts';

/** A table as the planner sees it: what is in the database now, updated step by step while planning. */
export interface ColumnModel {
  readonly name: string;
  readonly storage: Storage;
  notNull: boolean;
  readonly primaryKey: boolean;
}

export interface IndexModel {
  readonly name: string;
  readonly column: string;
  readonly unique: boolean;
}

export interface TableModel {
  readonly name: string;
  columns: ColumnModel[];
  /** Only the indexes Strongbox manages (named ix_/uq_<table>__<column>); others are left alone. */
  indexes: IndexModel[];
}

export function findColumn(t: TableModel, name: string): ColumnModel | undefined {
  return t.columns.find((c) => c.name === name);
}
