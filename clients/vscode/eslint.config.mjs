// Flat config: the recommended JS and type-aware TypeScript rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["out/**", "node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Promises the UI does not wait for must be marked (void) or handled, never forgotten.
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
  {
    // node:test's test()/before()/after() return promises the runner itself awaits.
    files: ["src/test/**", "src/e2e/**"],
    rules: {
      "@typescript-eslint/no-floating-promises": ["error", {
        allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "before", "after"] }],
      }],
    },
  },
  { files: ["eslint.config.mjs"], ...tseslint.configs.disableTypeChecked },
);
