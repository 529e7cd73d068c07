// Stylesheets are bundled by esbuild into app.css; importing one yields nothing to script.
declare module "*.css";
