import pkg from '../package.json';

export const HABITAT_VERSION: string = pkg.version;
