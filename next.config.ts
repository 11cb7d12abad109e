import type { NextConfig } from "next";

const config: NextConfig = {
  // Everything the hub serves lives under /hub (JupyterHub's URL layout); the proxy owns /user.
  basePath: "/hub",
  poweredByHeader: false,
  reactStrictMode: true,
  // Native and Node-only packages stay outside the bundle.
  serverExternalPackages: ["@prisma/client", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "better-sqlite3", "pg", "pino", "execa"],
  typescript: { ignoreBuildErrors: false },
};

export default config;
