/**
 * The object's structure as one JSON document (stored as UTF-8 bytes in one dataset): JSON
 * values stay themselves; anything JSON cannot say is an object whose "$" key names a tag.
 *
 *   {"$":"ref","i":n}           the n-th object already met (shared and circular references)
 *   {"$":"u"}                    undefined
 *   {"$":"num","v":"NaN"}        NaN, Infinity, -Infinity, -0
 *   {"$":"big","v":"123"}        BigInt, decimal
 *   {"$":"date","v":ms}          Date (ms since the epoch; null for an invalid date)
 *   {"$":"map","e":[[k,v],...]}  Map;  {"$":"set","e":[...]} Set
 *   {"$":"re","src":..,"f":..}   RegExp
 *   {"$":"err","name","message","stack","cause"?}   Error
 *   {"$":"box","v":..}           new Number/String/Boolean(...)
 *   {"$":"ta","t":"Float64Array","n":len,"ds":"arrays/0"}   typed array stored as a dataset
 *   {"$":"ta","t":"Int32Array","n":len,"b64":"..."}          small typed array inline (little-endian bytes)
 *   {"$":"ab","n":len,"b64"|"ds"}   ArrayBuffer;  {"$":"dv",...} DataView, as "ab"
 *   {"$":"obj","c":"my-lab/Fit","v":{fields}}   instance of a registered class: its own fields
 *                                               ("a":[...], "m":[[k,v]...], "s":[...] for
 *                                               registered Array/Map/Set subclasses)
 *   {"$":"esc","v":{...}}        a plain object that itself has a "$" key
 *
 * Objects are numbered 0, 1, 2... in the order a depth-first walk first meets them (arrays,
 * plain objects and every tag that stands for an object); "ref" points back by that number.
 */
export const TAG = '$';

/** The body of a registered class instance: "a" Array subclass, "m" Map, "s" Set, "v" fields of anything else. */
export const BODY_KEYS = ['a', 'm', 's', 'v'] as const;
export const BODY_NAMES = { a: 'an array', m: 'a Map', s: 'a Set', v: 'fields' } as const;
