// Stylesheets imported by page scripts are bundled into a .css file by esbuild.
declare module "*.css";
