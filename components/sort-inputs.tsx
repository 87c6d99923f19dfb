/** Hidden fields that keep a list's sort when its filter form is submitted (a GET form sends only its fields). */
export function SortInputs({ sort, dir }: { sort?: string; dir?: string }) {
  return (
    <>
      {sort && <input type="hidden" name="sort" value={sort} />}
      {dir && <input type="hidden" name="dir" value={dir} />}
    </>
  );
}
