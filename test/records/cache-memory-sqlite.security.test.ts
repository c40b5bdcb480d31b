// Attack: anonymous and signed-in clients send thousands of distinct worst-case filters so that the compiled-query, rule and statement caches pin memory until the server is out of it.
import { oneDialect } from '../helpers/dialects.ts';
import { cacheMemorySuite } from './cache-memory-suite.ts';

oneDialect('sqlite', 'caches stay within their byte budget', cacheMemorySuite);
