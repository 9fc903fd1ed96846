/** Vite's `?raw` imports: a file's text, for tests that read the repository's own config. */
declare module "*?raw" {
  const text: string;
  export default text;
}
