/** Appends `value` to the list `map` holds for `key`, creating the list on first use. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): V[] {
  const list = map.get(key);
  if (list === undefined) {
    const created = [value];
    map.set(key, created);
    return created;
  }
  list.push(value);
  return list;
}
