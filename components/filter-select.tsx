/**
 * One `<select>` of a list page's GET filter form: the empty choice first (`any`), then the options as
 * [value, label]; the current value comes from the parsed filter.
 */
export function FilterSelect({
  name,
  label,
  any,
  value,
  options,
}: {
  name: string;
  label: string;
  any: string;
  value: string | number | undefined;
  options: readonly (readonly [string | number, string])[];
}) {
  return (
    <select name={name} defaultValue={value?.toString() ?? ''} aria-label={label}>
      <option value="">{any}</option>
      {options.map(([v, text]) => (
        <option key={v} value={v}>
          {text}
        </option>
      ))}
    </select>
  );
}
