// The app's Hono environment: the worker's bindings. Context variables are declared by the middleware
// that sets them (Hono's ContextVariableMap, as hono/jwt does), so this module imports no middleware
// and no middleware imports another for its types.
export interface AppEnv {
	Bindings: Env;
}
