import { Api } from '../tl.js';
import { THIS_DC } from './help-get-config.js';
import { publicMethod } from './method.js';

/** help.getNearestDc: this DC is the nearest. */
export const helpGetNearestDc = publicMethod(
  Api.help.GetNearestDc,
  () => new Api.NearestDc({ country: 'NL', thisDc: THIS_DC, nearestDc: THIS_DC }),
);
