// ESLint: JavaScript's and typescript-eslint's recommended rules with type information (the
// type-aware ones catch floating promises and unsafe `any`), React's hooks rules for the pages,
// and the house rules below. Formatting is Prettier's (.prettierrc.json); eslint-config-prettier
// turns off the rules that would argue with it. Run: npm run lint.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import prettier from "eslint-config-prettier";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["node_modules/", ".next/", "dist/", "data/", "prisma/generated/", "test-results/", "playwright-report/", "charts/", "next-env.d.ts"] },
  // A disable comment that no longer suppresses anything is an error, so none goes stale.
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Deep relative imports hide where a module lives; tsconfig maps @/ to the repository root.
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["../../*"], message: "Import with the @/ alias (tsconfig paths) instead of climbing two or more folders." }] },
      ],
      // node:test's test()/describe() return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["test", "describe", "it", "suite", "before", "after", "beforeEach", "afterEach"] },
          ],
        },
      ],
      // `async` on a method that implements an async contract (Spawner.poll, HubConnection…) keeps
      // its throws rejections even without an await; this rule would have it return
      // Promise.resolve() instead, which reads worse and changes where errors surface.
      "@typescript-eslint/require-await": "off",
      // `_name` marks a deliberately unused binding (an omitted property, an unused parameter).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
    },
  },
  { files: ["**/*.tsx"], plugins: { "react-hooks": reactHooks }, rules: reactHooks.configs.recommended.rules },
  { files: ["**/*.mjs", "**/*.js"], extends: [tseslint.configs.disableTypeChecked] },
  prettier,
);
