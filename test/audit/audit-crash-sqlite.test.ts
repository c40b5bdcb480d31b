import { crashSuite } from './audit-crash-suite.ts';

crashSuite('sqlite');
