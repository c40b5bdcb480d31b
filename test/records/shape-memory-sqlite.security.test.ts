// Attack: a signed-in client sends thousands of filters that each compile to new SQL, so that compiled queries and (on SQLite) prepared statements pin native memory outside the JS heap until the server is out of it.
import { oneDialect } from '../helpers/dialects.ts';
import { shapeMemorySuite } from './cache-memory-suite.ts';

oneDialect('sqlite', 'distinct SQL shapes stay within the memory budget', shapeMemorySuite);
